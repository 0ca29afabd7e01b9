# Buildstrap: `make demo` and `make test` are the two commands a new user needs (as root, Debian 12).
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg

.PHONY: setup test unit demo demo-fleet minifix bench clean help

help:
	@echo "make demo    set up this machine, buildstrap minifix and make its native instance a build server"
	@echo "make demo-fleet  make demo, then the example fleet of client VMs (inventory/fleet)"
	@echo "make test    set up this machine and run every test (unit, libvirt, real TCG VMs)"
	@echo "make minifix build the minifix stage-1 ISO into images/minifix/"
	@echo "make bench   print timing figures (bench/)"
	@echo "make clean   remove Buildstrap's VMs, volumes and networks, and images/"

setup:
	@bash scripts/setup.sh

unit: setup
	$(PY) -m pytest -q tests/unit

test: setup
	$(PY) -m pytest tests

demo: setup
	$(VENV)/bin/ansible-playbook playbooks/buildstrap.yml
	$(VENV)/bin/ansible-playbook playbooks/buildserver.yml

demo-fleet: demo
	$(VENV)/bin/ansible-playbook -i inventory/fleet playbooks/clients.yml

minifix: setup
	$(PY) -m recipes.minifix.build --out images/minifix

bench: setup
	$(PY) bench/run.py

clean: setup
	$(PY) scripts/cleanup.py --all
	rm -rf images/* logs/
