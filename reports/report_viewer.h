/* reports/report_viewer.h — the inline stylesheet and script of index.html (report_viewer.c). */
#pragma once

extern const char report_viewer_css[];
extern const char report_viewer_js[];
