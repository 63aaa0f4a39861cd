"""A pickle payload that would run code when unpickled: model loading must refuse it without running it."""


class RunsCode:
    """Unpickling calls open(marker, "w"), which creates the marker file: proof that code ran."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))
