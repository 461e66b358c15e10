"""The public list of exercises: what each one asks for and how its answer is read.

`answer` is the expression the check cell passes to `check(...)`; the grader evaluates the
same expression inside the sandbox after running the notebook and stores the result.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Exercise:
    id: str
    chapter: int
    level: str      # easy, medium, hard
    title: str
    answer: str
    points: int = 1


EXERCISES = (
    Exercise("ex1_1", 1, "easy", "The shape of every conv layer's activation", "shapes"),
    Exercise("ex1_2", 1, "medium", "The strongest channel of conv2d_2", '{"act": act, "strongest": strongest}'),
    Exercise("ex1_3", 1, "hard", "Max pooling by hand",
             '{"probe": max_pool_2x2(pool_probe), "layer": max_pool_2x2(conv2d_2_act)}', 2),
    Exercise("ex2_1", 2, "easy", "The filter loss", "[filter_loss(loss_probe, k) for k in range(4)]"),
    Exercise("ex2_2", 2, "medium", "One step of gradient ascent", "gradient_ascent_step(tf.constant(start_image), 1, 10.0)"),
    Exercise("ex2_3", 2, "hard", "A filter's pattern and its orientation",
             '{"pattern": pattern, "orientation": orientation}', 2),
    Exercise("ex3_1", 3, "easy", "Pool the gradients into channel weights", "pool_gradients(grads_probe)"),
    Exercise("ex3_2", 3, "medium", "The Grad-CAM weighting step", "weight_and_combine(act_probe, weights_probe)"),
    Exercise("ex3_3", 3, "hard", "Grad-CAM from scratch for the predicted class",
             '{name: my_grad_cam(model, image, name) for name in ("conv2d_3", "conv2d_4")}', 2),
    Exercise("ex4_1", 4, "easy", "Occlude one patch", '{"occluded": occlude(occ_probe, 2, 3, 4), "original": occ_probe}'),
    Exercise("ex4_2", 4, "medium", "An occlusion map", "occlusion_map(model, image)"),
    Exercise("ex4_3", 4, "hard", "Rank similarity for sanity checks", "[rank_similarity(a, b) for a, b in pairs]", 2),
)

CHAPTERS = {1: "Intermediate activations", 2: "Filter patterns", 3: "Grad-CAM", 4: "Occlusion and sanity checks"}


def by_id(exercise_id: str) -> Exercise:
    for exercise in EXERCISES:
        if exercise.id == exercise_id:
            return exercise
    raise KeyError(f"No exercise {exercise_id!r}; known: {', '.join(e.id for e in EXERCISES)}.")


def of_chapter(chapter: int) -> list[Exercise]:
    return [e for e in EXERCISES if e.chapter == chapter]


def notebook_name(chapter: int) -> str:
    return f"{chapter:02d}_exercises.ipynb"
