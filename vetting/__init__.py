"""vetting: joint qualification review (人选资格联审) for village and community "两委" candidates."""

__version__ = "0.1.0"
