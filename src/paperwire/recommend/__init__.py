"""Personal libraries, feeds and their explanations."""
