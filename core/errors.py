"""The one exception type for problems a user caused or can fix; any other exception is a bug in GeoGAN."""


class InputError(ValueError):
    """A problem with what the user gave or with their machine (a parameter, a file, a full disk).

    Its message is a sentence that says what happened and what to do, in terms of parameters and files,
    never of a particular user interface. A ValueError, so callers that catch ValueError keep working.
    """
