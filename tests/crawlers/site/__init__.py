"""A local HTTP site with the structure of the real sources, for spider tests and the bench."""
