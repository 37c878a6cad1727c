"""The Python side of the renderer: renders one Manim scene per process, and reads scene files without running them."""
