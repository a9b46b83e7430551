package device_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/scangate/gateway/device"
)

// Pull from a machine on a USB serial adapter found by vendor and product
// id, and wait for it to come back if its cable is pulled.
func ExampleOpenUSB() {
	ctx := context.Background()
	port, err := device.OpenUSB(device.USBConfig{
		ID:   device.USBID{VID: "0403", PID: "6001"},
		Line: device.SerialConfig{Baud: 115200, Flow: device.FlowRTSCTS},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer port.Close()
	recv, _ := device.NewReceiver("ymodem", device.Options{Timeout: 30 * time.Second})
	files, err := recv.Receive(ctx, port, device.DirSink("/var/spool/scangate/incoming"))
	if errors.Is(err, device.ErrUnplugged) {
		err = port.Reopen(ctx, time.Minute) // then ask for the scan again
	}
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(files), "files from", port.Path())
}

// Pull one XMODEM file, which carries no name, through a network serial
// server.
func ExampleNewXmodemReceiver() {
	ctx := context.Background()
	port, err := device.DialTCP(ctx, "192.0.2.10:4001", 5*time.Second)
	if err != nil {
		log.Fatal(err)
	}
	defer port.Close()
	recv := device.NewXmodemReceiver(device.Options{})
	recv.Name = "fax.tif"
	files, err := recv.Receive(ctx, port, device.DirSink("/var/spool/scangate/incoming"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s: %d bytes\n", files[0].Name, files[0].Size)
}
