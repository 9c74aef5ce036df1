/* reports/report_write.c — a report's four files at once (report_write_all): report.json,
 * junit.xml, summary.md and index.html, each by its own writer. The writers read the report's
 * model (report.c); this file stands above them all. */
#include "reports/report.h"

#include <errno.h>

gboolean report_write_all(const ReportSet *set, const char *dir, GError **error)
{
    if (g_mkdir_with_parents(dir, 0755) != 0) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "cannot create directory %s: %s", dir, g_strerror(errno));
        return FALSE;
    }
    return report_write_json(set, dir, error) && report_write_junit(set, dir, error) &&
           report_write_markdown(set, dir, error) && report_write_html(set, dir, error);
}
