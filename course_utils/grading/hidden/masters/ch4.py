"""Master source of the chapter 4 exercises (solutions between the SOLUTION markers)."""

INTRO = r"""# Exercises 4 · Beyond Grad-CAM: occlusion and sanity checks

Occlusion asks the model directly: hide part of the image, and see how much the score drops.
Sanity checks ask whether a saliency method really depends on what the model learned, by
comparing maps with a **rank** correlation. You will build both from scratch.

For each exercise: fill in the cell marked `# YOUR CODE HERE`, run it, then run the check cell.
✅ = passes the notebook's checks, ❌ = what to fix, ⏳ = not done yet. Hidden tests grade more strictly."""

SETUP = r"""import course_utils  # first: keeps TensorFlow's C++ start-up lines out of the outputs
import numpy as np
import keras

from course_utils.grading.checks import check
from course_utils.grading.fixtures import exercise_convnet, exercise_image, probe, rank_pairs

keras.utils.set_random_seed(0)
model = exercise_convnet()               # raw 0-255 pixels in, P(dog) out
image = exercise_image()                 # the cat 'chelsea', (1, 180, 180, 3)
occ_probe = 255 * np.abs(probe((1, 10, 12, 3), seed=7)).clip(0, 1)   # a small test image
pairs = rank_pairs()                     # (map a, map b) test pairs for exercise 4.3
print("P(dog) =", round(float(model(image)[0, 0]), 3), "| probe:", occ_probe.shape, "|", len(pairs), "map pairs")"""

EXERCISES = [
    ("ex4_1", r"""## Exercise 4.1 (easy) · Occlude one patch

Write `occlude(image, top, left, patch, fill=127.5)`: return a **copy** of the batch `image`
`(1, H, W, 3)` in which the square `patch × patch` whose top-left corner is at row `top`,
column `left` is set to `fill` (mid-grey) in every colour channel. The original must stay as
it was: the occlusion loop builds many images from the same one.""",
     r"""def occlude(image, top, left, patch, fill=127.5):
    ### BEGIN SOLUTION
    covered = np.array(image, dtype="float32", copy=True)
    covered[:, top:top + patch, left:left + patch, :] = fill
    return covered
    ### STUB
    # YOUR CODE HERE
    return None
    ### END SOLUTION""",
     r"""check("ex4_1", {"occluded": occlude(occ_probe, 2, 3, 4), "original": occ_probe}, probe=occ_probe)"""),
    ("ex4_2", r"""## Exercise 4.2 (medium) · An occlusion map

Write `occlusion_map(model, image, patch=45, stride=45)`: slide the grey patch over the image
(top-left corners at `0, stride, 2*stride, …` while the patch fits) and return a 2-D array
`(rows, columns)` of how much the probability of **the predicted class** drops when that patch
is hidden: `p(original) - p(occluded)`. For this one-output model the predicted class is dog
if P(dog) ≥ 0.5, and then its probability is P(dog); otherwise it is cat, with 1 − P(dog).

Score all occluded images in **one** batch (`model.predict(batch, verbose=0)`): 16 single
forward passes would be much slower.""",
     r"""def occlusion_map(model, image, patch=45, stride=45):
    ### BEGIN SOLUTION
    height, width = image.shape[1:3]
    tops = range(0, height - patch + 1, stride)
    lefts = range(0, width - patch + 1, stride)
    batch = np.concatenate([occlude(image, t, l, patch) for t in tops for l in lefts])
    p_dog = model.predict(np.concatenate([image, batch]), verbose=0)[:, 0]
    p_class = p_dog if p_dog[0] >= 0.5 else 1 - p_dog
    return (p_class[0] - p_class[1:]).reshape(len(tops), len(lefts))
    ### STUB
    # YOUR CODE HERE
    return None
    ### END SOLUTION""",
     r"""check("ex4_2", occlusion_map(model, image), image=image)"""),
    ("ex4_3", r"""## Exercise 4.3 (hard) · Rank similarity for sanity checks

Sanity checks (Adebayo et al. 2018) compare a saliency map before and after the model's weights
are randomised. They use the **Spearman rank correlation**: the Pearson correlation of the
*ranks* of the values, so that only the ordering of the pixels matters, not the scale.

Write `rank_similarity(a, b)` for two maps of the same shape: flatten them, replace each value
by its rank (ties get the average of their ranks, as `scipy.stats.rankdata` does), and return
the Pearson correlation of the two rank vectors as a float. A constant map has no ordering:
return `0.0` for it instead of NaN. The check runs it on the 5 pairs in `pairs`.""",
     r"""def rank_similarity(a, b):
    ### BEGIN SOLUTION
    from scipy.stats import rankdata

    ra, rb = rankdata(np.ravel(a)), rankdata(np.ravel(b))
    if ra.std() == 0 or rb.std() == 0:
        return 0.0
    return float(np.corrcoef(ra, rb)[0, 1])
    ### STUB
    # YOUR CODE HERE
    return None
    ### END SOLUTION""",
     r"""check("ex4_3", [rank_similarity(a, b) for a, b in pairs], pairs=pairs)"""),
]
