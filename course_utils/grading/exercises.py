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
    level: str      # easy, medium, hard; "words" for a free-text interpretation
    title: str
    answer: str
    points: int = 1
    kind: str = "graded"   # "graded" (judged in compare.py) or "text" (collected for the teacher, 0 points)


def _words(exercise_id: str, chapter: int, title: str) -> Exercise:
    return Exercise(exercise_id, chapter, "words", title, f"interpretation_{chapter}", 0, "text")


EXERCISES = (
    Exercise("ex1_1", 1, "easy", "How sparse is each layer on your photo", '{"image": my_image, "zeros": zeros}'),
    Exercise("ex1_2", 1, "medium", "How abstract is each layer on your photo",
             '{"image": my_image, "likeness": likeness, "most_abstract": most_abstract}'),
    Exercise("ex1_3", 1, "hard", "The inference-mode trap",
             '{"inference": [predict_dog(trainer, trap_images), predict_dog(trainer, trap_images)], '
             '"training": training_calls}', 2),
    _words("ex1_4", 1, "In your words: sparsity, abstraction and the trap"),
    Exercise("ex2_1", 2, "easy", "The filter loss", "[filter_loss(loss_probe, k) for k in range(4)]"),
    Exercise("ex2_2", 2, "medium", "One step of gradient ascent, by hand",
             "gradient_ascent_step(tf.constant(start_image), 1, ASCENT_RATE)"),
    Exercise("ex2_3", 2, "hard", "A regulariser from the ladder and its effect",
             '{"plain": plain, "blurred": blurred, "roughness": roughness, "activation": activation}', 2),
    _words("ex2_4", 2, "In your words: what the blur buys and costs"),
    Exercise("ex3_1", 3, "easy", "Pool the gradients into channel weights", "pool_gradients(grads_probe)"),
    Exercise("ex3_2", 3, "medium", "The Grad-CAM weighting step", "weight_and_combine(act_probe, weights_probe)"),
    Exercise("ex3_3", 3, "hard", "Grad-CAM from scratch at a layer of your choice, and its peak",
             '{"layer": my_layer, "heatmap": my_heatmap, "peak": my_peak}', 2),
    _words("ex3_4", 3, "In your words: where the model looks"),
    Exercise("ex4_1", 4, "easy", "Occlude one patch", '{"occluded": occlude(occ_probe, 2, 3, 4), "original": occ_probe}'),
    Exercise("ex4_2", 4, "medium", "A model-randomisation test with occlusion maps",
             '{"trained": trained_map, "randomized": randomized_map, "similarity": similarity}'),
    Exercise("ex4_3", 4, "hard", "A deletion curve against a random baseline",
             '{"curve": curve, "random": random_curve, "auc": auc}', 2),
    _words("ex4_4", 4, "In your words: is the occlusion map faithful?"),
)

CHAPTERS = {1: "Intermediate activations", 2: "Filter patterns", 3: "Grad-CAM", 4: "Occlusion, randomisation, deletion"}


def by_id(exercise_id: str) -> Exercise:
    for exercise in EXERCISES:
        if exercise.id == exercise_id:
            return exercise
    raise KeyError(f"No exercise {exercise_id!r}; known: {', '.join(e.id for e in EXERCISES)}.")


def of_chapter(chapter: int) -> list[Exercise]:
    return [e for e in EXERCISES if e.chapter == chapter]


def notebook_name(chapter: int) -> str:
    return f"{chapter:02d}_exercises.ipynb"
