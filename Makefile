# SPDX-License-Identifier: GPL-2.0
# psteer: `make` builds psteer.ko against KDIR; see README.md for the rest.
#
# Usage: make [KDIR=DIR] | make tools | make install | make deb | make clean
#        make check [ONLY="NAME..."] | make lint | make kunit | make integration
#        make demo | make bench-sim | make bench | make bench-nic | make bench-iperf
#        make bench-conns
#        make fuzz [FUZZ_SEED=N] [FUZZ_COUNT=N]

KDIR ?= /lib/modules/$(shell uname -r)/build
PWD := $(CURDIR)

all: modules

# The psteer command (tools/psteer/, user space, libc only).
tools:
	$(MAKE) -C tools/psteer

modules:
	@test -d "$(KDIR)" || { echo "psteer: no kernel build tree at $(KDIR); run 'make KDIR=/path/to/linux-headers'" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(PWD) modules

install: modules tools
	$(MAKE) -C $(KDIR) M=$(PWD) modules_install
	depmod -a
	$(MAKE) -C tools/psteer install

clean:
	@test -d "$(KDIR)" && $(MAKE) -C $(KDIR) M=$(PWD) clean || true
	[ ! -d tools/psteer ] || $(MAKE) -C tools/psteer clean
	rm -rf build

lint:
	scripts/lint.sh

# The psteer-dkms Debian package (debian/, dh-dkms), in build/deb/.
deb:
	scripts/deb.sh

kunit:
	tools/testing/kunit/kunit-run.sh

# check and integration run tests of tools/testing/tests.list through
# tools/testing/check.sh (logs in build/check/, "N passed, N failed" last):
# check every one, or those named in ONLY; integration every one but lint
# and kunit, the guest scripts in VMs.
TESTS = tools/testing/check.sh

check:
	$(TESTS) $(ONLY)

integration:
	$(TESTS) $(filter-out lint kunit,$(shell $(TESTS) --list))

demo:
	tools/testing/demo.sh

bench-sim:
	scripts/bench-sim.sh

bench:
	tools/testing/bench/cost.sh
	tools/testing/bench/stability.sh
	tools/testing/bench/nic.sh

bench-nic:
	tools/testing/bench/nic.sh

bench-iperf:
	tools/testing/bench/bench-vm.sh

bench-conns:
	tools/testing/bench/bench-conns.sh

# The packet fuzzer on the debug kernel, longer than make check's run and
# with a new seed each time unless FUZZ_SEED is given; the log prints it.
FUZZ_COUNT ?= 300000
FUZZ_SEED ?= $(shell od -An -N4 -tu4 /dev/urandom | tr -d ' ')

fuzz:
	PSTEER_GUEST_FUZZ_SEED=$(FUZZ_SEED) PSTEER_GUEST_FUZZ_COUNT=$(FUZZ_COUNT) \
	PSTEER_INTEGRATION_TIMEOUT=3600 \
	tools/testing/vm/run-guest.sh --kernel debug --guest fuzz

.PHONY: all modules tools deb install clean lint kunit integration check demo bench-sim bench \
	bench-nic bench-iperf bench-conns fuzz
