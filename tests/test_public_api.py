"""The public surface: __all__ is complete, sorted and importable (as httpx tests it)."""

import detente


def test_all_sorted():
    assert list(detente.__all__) == sorted(detente.__all__)


def test_all_names_exist():
    for name in detente.__all__:
        assert hasattr(detente, name), name


def test_public_names_listed():
    public = {n for n in vars(detente) if not n.startswith("_")}
    modules = {n for n in public if type(getattr(detente, n)).__name__ == "module"}
    assert public - modules - set(detente.__all__) == set()


def test_version():
    assert detente.__version__.count(".") == 2
