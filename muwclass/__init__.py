"""muwclass: multiwavelength machine-learning classification of X-ray sources."""

__version__ = "0.1.0"
