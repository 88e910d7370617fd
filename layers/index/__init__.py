"""The index: from validated tables to scaled indicators, the weighted composite, its ranking, class
breaks and clusters, under the disclosure rules; the method's published defaults; UVAS trends and
the places near each area. Plain functions and one `Engine`; no UI, no HTTP."""
