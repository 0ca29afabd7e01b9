# Buildstrap: `make demo` and `make test` are the two commands a new user needs (as root, Debian 12).
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg

.PHONY: setup test unit demo demo-fleet minifix bench clean help molecule

help:
	@echo "make demo    set up this machine, buildstrap minifix and make its native instance a build server"
	@echo "make demo-fleet  make demo, then the example fleet of client VMs (inventory/fleet)"
	@echo "make test    set up this machine and run every test (unit, libvirt, real TCG VMs)"
	@echo "make minifix build the minifix stage-1 ISO into images/minifix/"
	@echo "make bench   print timing figures (bench/)"
	@echo "make molecule  the pipeline and build server (cached), then every molecule scenario (extensions/molecule/)"
	@echo "make clean   remove Buildstrap's VMs, volumes and networks, and images/"

setup:
	@bash scripts/setup.sh

unit: setup
	$(PY) -m pytest -q tests/unit

test: setup
	$(PY) -m pytest -n 2 --durations=25 tests

demo: setup
	$(VENV)/bin/ansible-playbook playbooks/buildstrap.yml
	$(VENV)/bin/ansible-playbook playbooks/buildserver.yml

demo-fleet: demo
	$(VENV)/bin/ansible-playbook -i inventory/fleet playbooks/clients.yml

# MOLECULE_SCENARIO=web: that one only; MOLECULE_JOBS=2: two scenarios at a time, each its own molecule process
# (molecule's --workers skips the scenarios' own create/destroy). BUILDSTRAP_IMAGES_DIR/BUILDSTRAP_VM_NAME: the
# pipeline's images and VM, for these playbooks and for the scenarios' create (extensions/molecule/README.md).
molecule: setup
	$(VENV)/bin/ansible-playbook playbooks/buildstrap.yml $(if $(BUILDSTRAP_IMAGES_DIR),-e buildstrap_images_dir=$(BUILDSTRAP_IMAGES_DIR)) $(if $(BUILDSTRAP_VM_NAME),-e buildstrap_vm_name=$(BUILDSTRAP_VM_NAME))
	$(VENV)/bin/ansible-playbook playbooks/buildserver.yml $(if $(BUILDSTRAP_IMAGES_DIR),-e buildstrap_images_dir=$(BUILDSTRAP_IMAGES_DIR)) $(if $(BUILDSTRAP_VM_NAME),-e buildstrap_vm_name=$(BUILDSTRAP_VM_NAME))
	@if [ -n "$(MOLECULE_SCENARIO)" ]; then $(VENV)/bin/molecule test -s $(MOLECULE_SCENARIO); \
	elif [ "$(or $(MOLECULE_JOBS),1)" -le 1 ]; then $(VENV)/bin/molecule test --all; \
	else ls extensions/molecule/*/molecule.yml | cut -d/ -f3 | \
	  xargs -P "$(MOLECULE_JOBS)" -I{} $(VENV)/bin/molecule test -s {}; fi

minifix: setup
	$(PY) -m recipes.minifix.build --out images/minifix

bench: setup
	$(PY) bench/run.py

clean: setup
	$(PY) scripts/cleanup.py --all
	rm -rf images/* logs/
