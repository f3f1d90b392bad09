"""The device rule in ``causalworld/scm/devices.py``: a device that cannot hold data is refused at once."""

import pytest
import torch

import causalworld as cw
from causalworld.errors import DeviceError
from causalworld.scm.devices import as_device

UNUSABLE = ["meta", "bogus", 3.5, None] + ([] if torch.cuda.is_available() else ["cuda", "cuda:0"])


@pytest.mark.parametrize("device", UNUSABLE)
def test_an_unusable_device_is_a_device_error_naming_what_this_machine_has(device):
    with pytest.raises(DeviceError, match=r"cpu"):
        as_device(device)


@pytest.mark.parametrize("device", ["meta", "bogus"] + ([] if torch.cuda.is_available() else ["cuda"]))
def test_worlds_and_model_loads_refuse_an_unusable_device(device, tmp_path):
    with pytest.raises(DeviceError):
        cw.make("lights", image_size=8, device=device)
    cw.SCM.linear([("a", "b")], {("a", "b"): 1.0}).save(tmp_path / "m")
    with pytest.raises(DeviceError):
        cw.SCM.load(tmp_path / "m", device=device)


def test_usable_devices_pass_through():
    assert as_device("cpu") == torch.device("cpu")
    assert as_device(torch.device("cpu")) == torch.device("cpu")
