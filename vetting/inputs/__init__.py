"""Reading roster files (xlsx, xls, csv) into text tables, as counties really send them.

``read_tables`` is the entry point (one table per roster sheet); the work is split by concern:

* ``limits``     what an input file may hold (size, unpacked size, cells per sheet, cell length)
* ``sniff``      what a file really is (by content), its text encoding, binary content anywhere
* ``package``    zip-based workbooks measured against the limits before they are opened
                 (``opendoc``: runs of repeated cells in .ods)
* ``excel``      workbooks via python-calamine; which sheets hold a roster
* ``delimited``  CSV/TSV; header scan, one pandas pass (``records``: line numbers, merged lines)
* ``cells``      cell values -> text, column-wise (IDs stored as numbers stay detectable)
* ``layout``     pure header detection, incl. two-row headers under merged cells
* ``region``     pure detection of blank template rows and footer lines
* ``reader``     the above wired together, with notes on what was detected
"""

from vetting.inputs.reader import EXCEL_SUFFIXES, TEXT_SUFFIXES, read_tables
from vetting.inputs.table import RawTable, file_sha256

__all__ = ["EXCEL_SUFFIXES", "TEXT_SUFFIXES", "RawTable", "file_sha256", "read_tables"]
