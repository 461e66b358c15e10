# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Seeing inside convnets — start here
#
# A convolutional network classifies a photo through millions of numbers. This course opens it
# up: you will look at what each layer computes, what each filter responds to, which pixels a
# decision rests on — and then test whether those pictures can be trusted.
#
# **What you will be able to do at the end**
#
# - read a convnet layer by layer: build a model that returns intermediate activations and
#   interpret the feature maps (chapter 1);
# - make a filter show the pattern it prefers by gradient ascent in input space (chapter 2);
# - explain a prediction with class activation maps: CAM, Grad-CAM, Grad-CAM++ (chapter 3);
# - probe single units with deconvnet projections and occlusion (chapter 4);
# - measure whether a heatmap is faithful (deletion/insertion) and pass or fail the
#   randomisation sanity checks (chapter 5).
#
# Every claim a chapter makes comes with a number printed beside it, so you can check it.
#
# ## Before you begin
#
# - **Python**: you read and write NumPy code comfortably (arrays, shapes, broadcasting).
# - **Deep learning**: you know what a convolution, a ReLU, max-pooling and a softmax are, and
#   what training with gradient descent does (e.g. *Deep Learning with Python*, chapters 1–8).
# - **Keras**: you have built and called a `keras.Model`; chapter 1 reminds you of the rest.
# - **Machine**: a laptop CPU is enough; no GPU and no internet needed once set up
#   (`make lab` prepares everything; the README explains the offline asset mirror).
#
# ## The chapters
#
# Times are estimates for reading and running a chapter, then doing its exercises.
#
# | chapter | what you learn | reading | exercises |
# |---|---|---|---|
# | [1 · What a small convnet sees in a cat](01_intermediate_activations.ipynb) | intermediate activations of a cats-vs-dogs convnet; how likeness to the picture, class information and sparsity change with depth | 45 min | 30 min |
# | [2 · The patterns filters respond to](02_filter_patterns.ipynb) | gradient ascent in input space; raw first-layer weights; regularisers that make patterns readable | 60 min | 40 min |
# | [3 · Where the class is: activation heatmaps](03_class_activation_maps.ipynb) | CAM, Grad-CAM, Grad-CAM++ and guided variants on ImageNet photos | 60 min | 40 min |
# | [4 · What a unit detects](04_beyond_grad_cam.ipynb) | deconvnet projections and guided backpropagation, the checkerboard, occlusion sensitivity | 40 min | 30 min |
# | [5 · Can we trust a heatmap?](05_trusting_heatmaps.ipynb) | deletion/insertion faithfulness and its biases; randomisation sanity checks; what a rank similarity measures | 45 min | 30 min |
# | [6 · The rest of the family](06_more_explanations.ipynb) | gradient saliency, SmoothGrad, Integrated Gradients (completeness, baselines), Score-CAM, Layer-CAM, Eigen-CAM | 40 min | none |
#
# Work through them in order: each chapter reuses the previous one's ideas. The first run of a
# chapter takes a few minutes on a laptop CPU (models load, activations are computed); moving
# an explorer widget afterwards answers in about a second.
#
# ## Exercises and grading
#
# Chapters 1–5 each have an exercise notebook (chapter 6 has none yet) in [`exercises/`](exercises/): three graded
# exercises, easy to hard, and one answered in your own words. Fill in the cells marked `# YOUR CODE HERE` and run the check cell
# below each one: it prints **PASS** when your answer is right, **FAIL** with what to look at,
# **NOT YET** while the answer is still `None`. Your teacher's grader (`make grade`) uses the same
# judge, so a PASS means full marks there too, on one condition: it re-runs your notebook from
# top to bottom, each submission in its own sandbox, with the course's own versions of what an
# exercise asks you to write switched off. So write them yourself, run the notebook top to
# bottom before you hand it in, and the checks you saw are the grade. The answers in your own
# words are read by your teacher, not scored. Solved versions are in `solutions/`.
#
# ## Widgets, saving and coming back
#
# The explorers (sliders and dropdowns) live in the running kernel. A chapter you open fresh
# shows the line *"interactive explorer: run this cell (after the cells above) to use it"*
# where an explorer goes: run the chapter and it comes alive. `make lab` sets JupyterLab to save
# the widgets' state with the notebook, so a chapter you saved shows its last pictures when you
# reopen it; they move again once you re-run the cells.
#
# ## Is everything in place?
#
# The next cell lists the files the course uses and whether this machine has them. A missing
# optional one is not an error: the chapters say what they use instead and how to fetch it
# (`python -m course_utils assets` tells you why a file is missing).

# %%
import course_utils  # first: keeps TensorFlow's C++ start-up lines out of the outputs
from course_utils import assets
from course_utils.small_convnet import training_record

for name, asset in assets.manifest().items():
    kind = "required" if asset.required else "optional"
    state = "available" if assets.is_available(name) else "missing (fetched on demand)"
    print(f"{name:28s} {kind:9s} {state}")
record = training_record()
print(f"chapter 1's convnet: held-out test accuracy {record['test_accuracy']:.3f}")

# %% [markdown]
# ## References
#
# Each method is cited again in the chapter that teaches it.
#
# - Zeiler, M. D. & Fergus, R. (2014). *Visualizing and understanding convolutional networks.*
#   ECCV. — deconvnet projections and occlusion sensitivity (chapter 4).
# - Simonyan, K., Vedaldi, A. & Zisserman, A. (2013). *Deep inside convolutional networks:
#   visualising image classification models and saliency maps.* arXiv:1312.6034. — gradient
#   ascent on the input and saliency maps (chapters 2 and 3).
# - Springenberg, J. T., Dosovitskiy, A., Brox, T. & Riedmiller, M. (2015). *Striving for
#   simplicity: the all convolutional net.* ICLR workshop. — guided backpropagation (chapters 3, 4).
# - Zhou, B., Khosla, A., Lapedriza, A., Oliva, A. & Torralba, A. (2016). *Learning deep features
#   for discriminative localization.* CVPR. — class activation maps, CAM (chapter 3).
# - Selvaraju, R. R. et al. (2017). *Grad-CAM: visual explanations from deep networks via
#   gradient-based localization.* ICCV. — Grad-CAM and guided Grad-CAM (chapter 3).
# - Chattopadhay, A., Sarkar, A., Howlader, P. & Balasubramanian, V. N. (2018). *Grad-CAM++:
#   generalized gradient-based visual explanations for deep convolutional networks.* WACV. (chapter 3)
# - Petsiuk, V., Das, A. & Saenko, K. (2018). *RISE: randomized input sampling for explanation of
#   black-box models.* BMVC. — the deletion and insertion metrics (chapter 5).
# - Adebayo, J. et al. (2018). *Sanity checks for saliency maps.* NeurIPS. — model and data
#   randomisation tests (chapter 5).
# - Olah, C., Mordvintsev, A. & Schubert, L. (2017). *Feature visualization.* Distill. —
#   regularised gradient ascent: why raw patterns are noisy and how to make them readable
#   (chapter 2).
#
# The walkthroughs of chapters 1–3 follow F. Chollet, *Deep Learning with Python*, on Keras 3.
#
# **Start with [chapter 1](01_intermediate_activations.ipynb).**
