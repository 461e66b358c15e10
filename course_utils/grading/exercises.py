"""Every exercise, declared once: what it asks for, how its answer is read, how many points.

`answer` is the one copy of the expression the answer is read with. The generator
(build.py) writes the learner's check cell from it (`check("ex1_1", <answer>)`), the sandbox's
runner evaluates the same expression right before that cell, and the judge (judges.JUDGES,
keyed by the same id) is the only thing that decides on it. The hidden masters hold the
statement, the solution and the explanation of each exercise; the agreement matrix
(tests/test_exercise_agreement.py) iterates over this list. Adding an exercise means: one
entry here, its judge in judges.py, its cells in the chapter's master, and at least one
plausible mistake in the agreement matrix.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Level(Enum):
    EASY = "easy"
    MEDIUM = "medium"
    HARD = "hard"
    WORDS = "in words"       # a free-text interpretation


class Kind(Enum):
    GRADED = "graded"        # judged in judges.py, points × fraction
    TEXT = "text"            # collected for the teacher, 0 points


@dataclass(frozen=True)
class Exercise:
    id: str
    chapter: int
    level: Level
    title: str
    answer: str              # the expression the check cell passes to check(...) and the grader stores
    points: int = 1
    kind: Kind = Kind.GRADED

    def check_source(self) -> str:
        """The learner's check cell, generated: it cannot drift from what the grader reads."""
        return f'check("{self.id}", {self.answer})'


def _words(exercise_id: str, chapter: int, title: str) -> Exercise:
    return Exercise(exercise_id, chapter, Level.WORDS, title, f"interpretation_{chapter}", 0, Kind.TEXT)


EASY, MEDIUM, HARD = Level.EASY, Level.MEDIUM, Level.HARD

EXERCISES = (
    Exercise("ex1_1", 1, EASY, "How sparse is each layer on your photo",
             '{"photo": my_photo, "image": my_image, "zeros": zeros}'),
    Exercise("ex1_2", 1, MEDIUM, "How abstract is each layer on your photo",
             '{"photo": my_photo, "image": my_image, "likeness": likeness, "most_abstract": most_abstract}'),
    Exercise("ex1_3", 1, HARD, "The inference-mode trap",
             '{"inference": [predict_dog(trainer, trap_images), predict_dog(trainer, trap_images)], '
             '"other": predict_dog(other_net, trap_images), "image": my_image, "training": training_calls}', 2),
    _words("ex1_4", 1, "In your words: sparsity, abstraction and the trap"),
    Exercise("ex2_1", 2, EASY, "The filter loss",
             '{"numpy": [filter_loss(loss_probe, k) for k in range(4)], '
             '"tensor": [filter_loss(tf.constant(tall_probe), k) for k in range(4)]}'),
    Exercise("ex2_2", 2, MEDIUM, "One step of gradient ascent, by hand",
             '{"filter_1": gradient_ascent_step(tf.constant(start_image), 1, ASCENT_RATE), '
             '"filter_3": gradient_ascent_step(tf.constant(start_image), 3, 2.5)}'),
    Exercise("ex2_3", 2, HARD, "A regulariser from the ladder and its effect",
             '{"plain": plain, "blurred": blurred, "roughness": roughness, "activation": activation}', 2),
    _words("ex2_4", 2, "In your words: what the blur buys and costs"),
    Exercise("ex3_1", 3, EASY, "Pool the gradients into channel weights", "pool_gradients(grads_probe)"),
    Exercise("ex3_2", 3, MEDIUM, "The Grad-CAM weighting step", "weight_and_combine(act_probe, weights_probe)"),
    Exercise("ex3_3", 3, HARD, "Grad-CAM from scratch on a softmax head, and its peak",
             '{"layer": my_layer, "heatmap": my_heatmap, "peak": my_peak}', 2),
    _words("ex3_4", 3, "In your words: where the model looks"),
    Exercise("ex4_1", 4, EASY, "Occlude one patch", '{"occluded": occlude(occ_probe, 2, 3, 4), "original": occ_probe}'),
    Exercise("ex4_2", 4, MEDIUM, "The three ReLU rules on the way back",
             "{rule: relu_backward(rule, relu_x, relu_dy) for rule in RELU_RULES}"),
    Exercise("ex4_3", 4, HARD, "Project one unit down to the pixels, by each rule",
             "{rule: project_unit(rule, tiny_image, *PROJECTED_UNIT) for rule in RELU_RULES}", 2),
    _words("ex4_4", 4, "In your words: what each rule lets through"),
    Exercise("ex5_1", 5, EASY, "A model-randomisation test with occlusion maps",
             '{"trained": trained_map, "randomized": randomized_map, "similarity": similarity}'),
    Exercise("ex5_2", 5, MEDIUM, "A deletion curve against a random baseline",
             '{"curve": curve, "random": random_curve, "auc": auc}'),
    Exercise("ex5_3", 5, HARD, "Which map survives randomisation: rank similarity vs top overlap",
             '{"overlap_probe": [top_overlap(overlap_a, overlap_b, share) for share in (TOP_SHARE, 0.25)], '
             '"table": table, "fails": fails}', 2),
    _words("ex5_4", 5, "In your words: faithful, and about the model?"),
)

CHAPTERS = {1: "Intermediate activations", 2: "Filter patterns", 3: "Grad-CAM", 4: "Occlusion and the ReLU rules",
            5: "Trusting heatmaps: randomisation, deletion, overlap"}


def by_id(exercise_id: str) -> Exercise:
    for exercise in EXERCISES:
        if exercise.id == exercise_id:
            return exercise
    raise KeyError(f"No exercise {exercise_id!r}; known: {', '.join(e.id for e in EXERCISES)}.")


def of_chapter(chapter: int) -> list[Exercise]:
    return [e for e in EXERCISES if e.chapter == chapter]


def notebook_name(chapter: int) -> str:
    return f"{chapter:02d}_exercises.ipynb"
