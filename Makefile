# densecell — the two commands a newcomer needs are `make demo` and `make test`.
SHELL := /bin/bash
SWIFT ?= swift
# xvfb, xterm, kitty, imagemagick, xfonts-base, libgl1-mesa-dri: the viewer checked in real terminals (RealTerminalTests).
DEBIAN_PACKAGES := libncursesw5-dev libpng-dev libhdf5-dev libtiff-dev libdnnl-dev libchafa-dev libglib2.0-dev libsixel-dev tmux hdf5-tools ncurses-term libsixel-bin slurm-wlm munge \
  liblzf-dev libzstd-dev liblz4-dev libblosc-dev libbz2-dev liblzma-dev zlib1g-dev hdf5-filter-plugin hdf5-filter-plugin-blosc-serial bitshuffle \
  python3-venv \
  xvfb xterm kitty imagemagick xfonts-base libgl1-mesa-dri
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
DEMO_DIR ?= densecell-demo
# zarr-python and ome-zarr-py, which the tests run on what densecell writes (ConvertCLITests).
VENV := .build/venv

.PHONY: deps build build-debug test demo demo-models clean

## deps: install the Debian packages densecell builds and tests with (only those missing), and the tests' Python venv
deps:
	@missing=""; for p in $(DEBIAN_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	else echo "all Debian packages present"; fi
	@$(VENV)/bin/python -c "import zarr, ome_zarr, numcodecs" 2>/dev/null || { \
	  echo "creating $(VENV) with zarr, ome-zarr, numcodecs"; \
	  python3 -m venv $(VENV) && $(VENV)/bin/pip install -q zarr ome-zarr numcodecs || { \
	    rm -rf $(VENV); echo "warning: no $(VENV) (PyPI unreachable?): the zarr-python checks are skipped, and fail under CI"; }; }

## build: release build of the densecell binary (.build/release/densecell)
build: deps
	$(SWIFT) build -c release --product densecell

build-debug: deps
	$(SWIFT) build --build-tests

## test: install what is missing, build, run the whole suite
test: build-debug
	@set -o pipefail; $(SWIFT) test --skip-build 2>&1 | tee .build/test.log; status=$$?; \
	scripts/test-summary.sh .build/test.log; exit $$status

## demo: install, build, make the synthetic platelet study and open the viewer on it
demo: build
	.build/release/densecell demo --dir $(DEMO_DIR)

## demo-models: retrain the shipped demo ensemble (three width-16 instances side by side, about an hour on 2 cores)
DEMO_TRAIN := .build/demo-models
demo-models: build
	mkdir -p $(DEMO_TRAIN)
	.build/release/densecell phantom $(DEMO_TRAIN)/train.h5 --shape 24x320x320 --seed 101
	.build/release/densecell phantom $(DEMO_TRAIN)/eval.h5 --shape 8x192x192 --seed 102
	for s in 1 2 3; do \
	  OMP_NUM_THREADS=1 OMP_WAIT_POLICY=passive .build/release/densecell train \
	    --train $(DEMO_TRAIN)/train.h5 --eval $(DEMO_TRAIN)/eval.h5 --out $(DEMO_TRAIN)/run \
	    --seed $$s --width 16 --window 5x128x128 --steps 6000 --eval-interval 250 & \
	done; wait
	cp $(DEMO_TRAIN)/run/model-seed1.h5 $(DEMO_TRAIN)/run/model-seed2.h5 $(DEMO_TRAIN)/run/model-seed3.h5 Assets/models/demo/

clean:
	rm -rf .build
