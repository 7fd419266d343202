"""English date formats for a European product: day before month, short dates as 2025-03-14.

Only what differs from Django's (American) English formats; Dutch uses Django's own nl formats.
Templates use the names ({{ d|date:"SHORT_DATE_FORMAT" }}), never a fixed pattern.
"""

DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "j F Y H:i"
SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
MONTH_DAY_FORMAT = "j F"
TIME_FORMAT = "H:i"
FIRST_DAY_OF_WEEK = 1  # Monday
