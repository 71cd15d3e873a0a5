"""Developer tools: the import graph and its layers (:mod:`theory.devtools.layers`)."""
