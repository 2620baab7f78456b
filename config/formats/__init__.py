"""The project's own date formats (FORMAT_MODULE_PATH), where Django's differ from ours.

Only English is here: its pages have always written day, month, year and a
24-hour clock ("1 December 2026 14:05", "1 Dec 2026 14:05"), not Django's
American defaults. German, French and Spanish use Django's own formats.
"""
