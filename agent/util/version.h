/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The version ("git describe" at build time). The Makefile writes it into one generated
 * file, build/version.c, and rewrites that file only when the version changes: a new
 * version recompiles one file and relinks, and no object keeps a stale version.
 */
#ifndef FLOWGUARD_VERSION_H
#define FLOWGUARD_VERSION_H

extern const char fg_version[];

#endif
