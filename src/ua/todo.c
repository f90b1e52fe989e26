/* todo.c: commands not written yet. */
#include "ua/ua.h"
#define TODO(f) int f(struct ua_ctx *c) { (void)c; ua_warnx("not implemented yet"); return UA_EXIT_ERR; }
TODO(ua_cmd_list) TODO(ua_cmd_read) TODO(ua_cmd_save) TODO(ua_cmd_search)
TODO(ua_cmd_fetch) TODO(ua_cmd_folders) TODO(ua_cmd_folder_create)
TODO(ua_cmd_folder_delete) TODO(ua_cmd_folder_rename) TODO(ua_cmd_move)
TODO(ua_cmd_flag) TODO(ua_cmd_delete) TODO(ua_cmd_watch)
