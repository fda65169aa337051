package dev.strait.gateway.datapath.packet;

import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.strait.gateway.linux.TunDevice;
import org.junit.jupiter.api.Test;

/** Names are checked before the kernel is asked: no root needed (the device tests are in {@link TunDeviceTest}). */
class TunDeviceNamesTest {

    @Test
    void refusesBadNames() {
        assertThrows(IllegalArgumentException.class, () -> TunDevice.open("this-name-is-too-long", false));
        assertThrows(IllegalArgumentException.class, () -> TunDevice.open("a b", false));
    }
}
