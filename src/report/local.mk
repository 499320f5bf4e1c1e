# src/report: the self-contained HTML page of --html (check-events, matrix,
# bisect).
src_tools_ccidlab_SOURCES += src/report/html.h src/report/html.c src/report/html_svg.c src/report/html_json.c
