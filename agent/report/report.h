/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What is blocked and why, and how the agent reports: the blocked-flow store (blocked.h),
 * suggest (suggest.h), the Prometheus textfile (metrics.h) and `flowguard status`
 * (status.h). Code outside agent/report/ includes this header only.
 */
#ifndef FLOWGUARD_REPORT_H
#define FLOWGUARD_REPORT_H

#include "agent/report/blocked.h"
#include "agent/report/metrics.h"
#include "agent/report/status.h"
#include "agent/report/suggest.h"

#endif
