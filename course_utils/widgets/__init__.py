"""Interactive explorers, one module per chapter. Each widget's callback is a plain
function (tested in tests/) and the ipywidgets code only wires controls to it."""
