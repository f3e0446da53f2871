# SPDX-License-Identifier: GPL-2.0
# psteer: `make` builds psteer.ko against KDIR; see README.md for the rest.

KDIR ?= /lib/modules/$(shell uname -r)/build
PWD := $(CURDIR)

all: modules

modules:
	@test -d "$(KDIR)" || { echo "psteer: no kernel build tree at $(KDIR); run 'make KDIR=/path/to/linux-headers'" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(PWD) modules

install: modules
	$(MAKE) -C $(KDIR) M=$(PWD) modules_install
	depmod -a

clean:
	@test -d "$(KDIR)" && $(MAKE) -C $(KDIR) M=$(PWD) clean || true
	rm -rf build

lint:
	scripts/lint.sh

kunit:
	scripts/kunit-run.sh

integration:
	scripts/integration.sh --kernel 6.12
	scripts/integration.sh --kernel 6.1
	scripts/integration.sh --kernel debug
	scripts/integration.sh --kernel 6.12 --guest rebalance
	scripts/integration.sh --kernel 6.1 --guest rebalance
	scripts/integration.sh --kernel 6.12 --guest drr
	scripts/integration.sh --kernel 6.12 --guest conns
	scripts/integration.sh --kernel 6.1 --guest conns
	scripts/integration.sh --kernel debug --guest conns

check:
	scripts/check.sh

demo:
	scripts/demo.sh

bench-sim:
	scripts/bench-sim.sh

bench:
	scripts/bench-vm.sh

bench-conns:
	scripts/bench-conns.sh

.PHONY: all modules install clean lint kunit integration check demo bench-sim bench bench-conns
