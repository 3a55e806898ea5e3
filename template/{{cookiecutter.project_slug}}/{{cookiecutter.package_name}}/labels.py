"""The 11 Food-11 classes, in the order of the model's outputs."""

LABELS: tuple[str, ...] = (
    "Bread",
    "Dairy product",
    "Dessert",
    "Egg",
    "Fried food",
    "Meat",
    "Noodles/Pasta",
    "Rice",
    "Seafood",
    "Soup",
    "Vegetable/Fruit",
)
NUM_CLASSES = len(LABELS)


def class_folder(index: int) -> str:
    """Folder name of a class in the ImageFolder layout.

    Class names contain "/" ("Noodles/Pasta"), so folders use the class index,
    as the course's Food-11 layout does: class_00 ... class_10.
    """
    if not 0 <= index < NUM_CLASSES:
        raise ValueError(f"class index {index} is outside 0..{NUM_CLASSES - 1}")
    return f"class_{index:02d}"


CLASS_FOLDERS: tuple[str, ...] = tuple(class_folder(i) for i in range(NUM_CLASSES))


def class_index(folder: str) -> int:
    """Index of the class stored in ``folder`` (the inverse of `class_folder`)."""
    try:
        return CLASS_FOLDERS.index(folder)
    except ValueError:
        raise ValueError(
            f"'{folder}' is not a class folder; expected one of "
            f"{CLASS_FOLDERS[0]} .. {CLASS_FOLDERS[-1]}"
        ) from None
