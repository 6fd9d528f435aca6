"""What people look at: pictures and pages of graphs and of training.

* :mod:`~tinygrad_scalar.views.naming`: one naming of a graph, shared by every view;
* :mod:`~tinygrad_scalar.views.dot`: the graph drawn with Graphviz;
* :mod:`~tinygrad_scalar.views.animation`: a backward pass as GIF, MP4 or animated SVG;
* :mod:`~tinygrad_scalar.views.plots`, :mod:`~tinygrad_scalar.views.live`,
  :mod:`~tinygrad_scalar.views.replay`: training as plots, live in Jupyter, and replayed in a page.
"""
