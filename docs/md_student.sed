# md_student.sed: the student edition's second filter of the Markdown pages,
# run after md_filter.sed when the docs are built from the kit
# (docs/CMakeLists.txt). It fits the pages to what the kit holds.
#
# The kit has no solution/: a lab file named by the reference's path, such as
# `solution/server.cpp`, is the student's own starter/lab/server.cpp, which
# is the file these docs document there.
s#solution/([a-z_]+\.(cpp|hpp))#starter/lab/\1#g
# The kit has no docs/instructor/: a line that links into it (a table row or
# a list item) goes, so no link is left dead. In this edition a warning about
# a later line of that page names a line number one too small.
/\]\(([^)]*\/)?instructor\//d
