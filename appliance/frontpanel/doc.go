// Package frontpanel is the front panel's edge of the appliance: it runs the panel's key loop beside the
// delivery loop, turns key presses into jobs and requests for the core (package appliance), and the core's
// updates, outcomes and words into panel events. It is the only place that maps the settings onto what the
// panel edits and back, and it adds to the core's validation the rules of the parts it drives (the board's
// pins and display, the panel's PIN).
//
// The key loop never waits on the disk or the network: a job runs in a goroutine of its own, each request
// (save the settings, test the account, retry or delete a job, read the journal) in another, and the looks at
// the spool and at sysfs that the ready screen needs in a third; each comes back as an event.
//
// An OAuth sign-in (Settings > Account > Sign in, when the account has an [oauth] section) runs in a goroutine
// of its own too: it asks the core for a code, hands it to the panel, and waits for the person to approve it on
// another device, under a context that the panel's RequestCancelSignIn, a new RequestSignIn or the end of Run
// cancels; a cancelled sign-in tells the panel nothing more. Signed in, it kicks the delivery loop, which lifts
// the account's hold and sends the held jobs, and refreshes the ready screen's notice. That notice puts the
// setup first, then a sign-in that needs someone (it holds every mail), then a missing machine, then what the
// sign-in says that is no problem yet.
//
// Run tells its caller when the gateway is at work (Options.OnReady: the delivery loop runs and, with a panel,
// the key loop too), which a service manager waits for. Settings put in force from outside the panel (the
// settings file read again on a reload, checked with Validate and applied with Gateway.Apply, as a panel save
// does) come as Options.Reloaded: Run kicks the delivery loop, and the panel, which keeps its own copy of the
// settings it edits, is made anew on them once it is left alone, so that a later save on the panel does not
// write back the settings it had before.
package frontpanel
