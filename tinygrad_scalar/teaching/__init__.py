"""Teaching and practising backpropagation.

* :mod:`~tinygrad_scalar.teaching.explanations`: the chain rule written out in the actual numbers;
* :mod:`~tinygrad_scalar.teaching.solutions`: a worked solution as a handout (the problem, the forward pass,
  the backward pass, the answers), written with :mod:`~tinygrad_scalar.teaching.formulas` and, in LaTeX,
  :mod:`~tinygrad_scalar.teaching.latex` (documents that compile whatever the names);
* :mod:`~tinygrad_scalar.teaching.stepper`: a backward pass to step through in a page or in Jupyter;
* :mod:`~tinygrad_scalar.teaching.practice`, :mod:`~tinygrad_scalar.teaching.mistakes`: answers checked, with
  hints that name the mistake;
* :mod:`~tinygrad_scalar.teaching.exercises`: notebook exercises that leave a blank, check it in place and
  keep the worked step folded;
* :mod:`~tinygrad_scalar.teaching.worksheet`: printed exercises per student, and their key;
  :mod:`~tinygrad_scalar.teaching.grading`: a class's answers graded, error carried forward.
"""
