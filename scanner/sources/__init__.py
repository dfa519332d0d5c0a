"""Record sources: the interface every source implements, and one module (or package) per source."""
