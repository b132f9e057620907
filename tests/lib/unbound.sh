# shellcheck shell=sh
# The unbound configuration shared by the e2e tests and the benchmarks (sourced).

# unbound_head INTERFACE PORT CLIENTS NOT_LOCALHOST: the "server:" lines every unbound of
# these tests starts with (in the foreground, in $T, logging to stderr); CLIENTS: the net
# it answers; NOT_LOCALHOST: its do-not-query-localhost (no: it asks a stub zone there).
unbound_head() {
	cat <<-EOC
	server:
	    interface: $1
	    port: $2
	    do-daemonize: no
	    username: ""
	    chroot: ""
	    directory: "$T"
	    pidfile: ""
	    use-syslog: no
	    logfile: ""
	    do-not-query-localhost: $4
	    access-control: $3 allow
	    module-config: "iterator"
	EOC
}
