# The README's two commands: `make play` and `make test`. Both build .venv from pyproject.toml on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: play test bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-play: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed-play

play: $(VENV)/.installed-play
	$(BIN)/balance-trainer play

# pytest exits 5 when it collects no test: that is a failure of the suite, said plainly.
# The tracker's PostgreSQL tests get a throwaway server on a loopback port (tests/tools/start-postgres.sh prints
# "FOLDER URL", or nothing when it cannot start one: those tests then skip); it is stopped and its folder removed
# however pytest ends, and pytest's exit status is kept.
test: $(VENV)/.installed-test
	@bash tests/tools/install-firmware-toolchain.sh
	@postgres=$$(bash tests/tools/start-postgres.sh start); \
	trap 'bash tests/tools/start-postgres.sh stop "$${postgres%% *}"' EXIT; \
	trap 'exit 130' INT TERM; \
	echo "SDL_VIDEODRIVER=dummy SDL_AUDIODRIVER=dummy $(BIN)/python -m pytest -q"; \
	BALANCE_TRAINER_TEST_POSTGRES="$${postgres#* }" SDL_VIDEODRIVER=dummy SDL_AUDIODRIVER=dummy \
		$(BIN)/python -m pytest -q; \
	status=$$?; \
	if [ $$status -eq 5 ]; then echo "make test: pytest collected no test" >&2; exit 1; fi; \
	exit $$status

bench: $(VENV)/.installed-test
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
