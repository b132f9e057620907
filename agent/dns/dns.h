/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The DNS side's door: the asynchronous resolver (resolver.h) and the names store with its
 * state file (names.h), one blocking round for plan (once.h). Code outside agent/dns/ includes this header only.
 */
#ifndef FLOWGUARD_DNS_H
#define FLOWGUARD_DNS_H

#include "agent/dns/names.h"
#include "agent/dns/once.h"
#include "agent/dns/resolver.h"

#endif
