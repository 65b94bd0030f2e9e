"""The JSON API: the Hugging Face papers API's paths and shapes, served from paperwire's data."""
