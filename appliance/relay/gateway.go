package relay

import (
	"context"
	"errors"
	"io"

	"github.com/emersion/go-smtp"

	"github.com/scangate/gateway/appliance"
	"github.com/scangate/gateway/spool"
)

// Start starts the relay listener in front of g on every address of opts.Listen. It serves until ctx ends
// (run's context: the messages in progress get StopGrace) or Close.
func Start(ctx context.Context, g *appliance.Gateway, opts Options) (*Relay, error) {
	return start(ctx, gatewayCore{g}, opts)
}

// gatewayCore is the Core of a Gateway: it turns the core's refusals into the listener's replies.
type gatewayCore struct{ g *appliance.Gateway }

func (c gatewayCore) EnqueueMessage(env Envelope, msg io.Reader) (*spool.Job, error) {
	j, err := c.g.EnqueueMessage(appliance.RelayEnvelope{From: env.From, To: env.To, Peer: env.Peer, User: env.User}, msg)
	switch {
	case err == nil:
		return j, nil
	case errors.Is(err, appliance.ErrTooLarge):
		return nil, errTooLarge(c.g.RelayMaxBytes())
	case errors.Is(err, appliance.ErrBadMessage):
		return nil, &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "Message not accepted: " + badDetail(err)}
	case errors.Is(err, appliance.ErrNotSetUp):
		return nil, &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 5},
			Message: "The gateway has no mail account set up yet, try again later"}
	}
	return nil, err
}

// badDetail is the reason of an ErrBadMessage, without the package's prefix.
func badDetail(err error) string {
	s := err.Error()
	if p := appliance.ErrBadMessage.Error() + ": "; len(s) > len(p) && s[:len(p)] == p {
		return s[len(p):]
	}
	return "not a message the gateway can take"
}

func (c gatewayCore) RelayMaxBytes() int64    { return c.g.RelayMaxBytes() }
func (c gatewayCore) RelayRoom(n int64) error { return c.g.RelayRoom(n) }
