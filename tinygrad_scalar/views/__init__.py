"""What people look at: pictures and pages of graphs and of training.

* :mod:`~tinygrad_scalar.views.neurons`: which values each call of a model's neurons made;
* :mod:`~tinygrad_scalar.views.naming`: one naming of a graph, shared by every view;
* :mod:`~tinygrad_scalar.views.page`: what the pages share: data nothing can break, legends, assets as files;
* :mod:`~tinygrad_scalar.views.animation`: pictures and captions as slides: GIF, MP4 or animated SVG;
* :mod:`~tinygrad_scalar.views.dot`: the graph drawn with Graphviz, value by value or neuron by neuron;
* :mod:`~tinygrad_scalar.views.frames`: a graph laid out once and drawn for each step of a pass;
* :mod:`~tinygrad_scalar.views.plots`, :mod:`~tinygrad_scalar.views.live`,
  :mod:`~tinygrad_scalar.views.replay`: training as plots, live in Jupyter, and replayed in a page.
"""
