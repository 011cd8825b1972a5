"""The MultiCabinet autograder: builds a submission's lab files, runs the
per-lab GoogleTest suites with ctest, and turns the results into points.

Modules, in the order a grade runs through them:
  cli        command line, one grade or a batch
  build      where a submission's files come from, staging them, cmake
             configure and build, compile errors
  handin     hand-in tarballs (--target handin): checked, read, unpacked
  own_tree   in a student's kit: grading in their own build/ trees
  runner     ctest per lab with a hang watchdog; ThreadSanitizer runs
  diagnose   verdicts from test output; stack summaries of hung processes
  hygiene    processes, /dev/shm objects and ports left behind by a run
  scoring    points.json: each test's points, deductions, lab totals
  report     the score table, Gradescope's results.json, the batch CSV
  util       errors, timing, /proc
"""
