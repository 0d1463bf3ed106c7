"""The bench's devices as the station sees them: manager, event bus, managed adapters, simulators."""

from station.devices.bus import DeviceEvent, EventBus, Subscription
from station.devices.manager import DeviceManager

__all__ = ["DeviceEvent", "DeviceManager", "EventBus", "Subscription"]
