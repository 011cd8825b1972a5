# md_filter.sed: Doxygen's input filter for the Markdown pages (Doxyfile.in).
# The pages link the diagrams by their path in the repository, e.g.
# ](../diagrams/stage1.svg), which a code host shows as it is. Doxygen finds
# an image by its name in IMAGE_PATH and copies it next to the pages, so it
# is given the bare name: ](stage1.svg). Lines stay where they are.
s#\]\((\.\./)+diagrams/#](#g
# docs/architecture.md is the main page (USE_MDFILE_AS_MAINPAGE), which
# Doxygen knows as "index", not by its file name.
s#\]\(([^)]*/)?architecture\.md\)#](@ref index)#g
