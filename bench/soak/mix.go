package main

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
)

// action is what happens to a stable pair; docs/protocol.md says what each side must hear.
type action int

const (
	// actResume: one side drops its socket and joins again within the grace with its token, keep and
	// its role: both sides hear resumed: true and keep their roles.
	actResume action = iota
	// actLate: one side drops and comes back after the grace: the peer hears peer-reconnecting, then
	// peer-left disconnected; the return forms a new pair.
	actLate
	// actEdge: one side drops and joins again with keep right at the end of the grace. Either the
	// seat was still held (both hear resumed: true, nobody hears peer-left) or it had been freed (the
	// peer hears peer-left disconnected, then a new pair): never a mix, such as peer-left after
	// peer-joined.
	actEdge
	// actReload: one side joins again with its token but without keep, from a new socket while the old
	// one is still open (which gets error replaced) or after dropping it: a new pair.
	actReload
	// actHangup: one side sends leave; the peer hears peer-left hangup and a newcomer takes the seat.
	actHangup
	// actBoth: one side drops, then the other; both resume with keep within their graces: the first
	// back is alone with peer-reconnecting, then both hear resumed: true.
	actBoth
	// actAbandon: both sides drop and never return; after the grace the room is empty, and two
	// newcomers pair in it.
	actAbandon
	numActions
)

var actionNames = [numActions]string{"resume", "late", "edge", "reload", "hangup", "both", "abandon"}

func (a action) String() string {
	if a >= 0 && a < numActions {
		return actionNames[a]
	}
	return "action(" + strconv.Itoa(int(a)) + ")"
}

const defaultMix = "resume=30,late=10,edge=10,reload=20,hangup=20,both=5,abandon=5"

// mix is the relative weight of each action.
type mix [numActions]float64

// parseMix reads "name=weight,…"; actions not named get weight 0, and at least one weight must be above 0.
func parseMix(s string) (mix, error) {
	var m mix
	seen := map[string]bool{}
	total := 0.0
	for _, part := range strings.Split(s, ",") {
		name, w, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return m, fmt.Errorf("%q is not name=weight", part)
		}
		a := action(-1)
		for i, n := range actionNames {
			if n == name {
				a = action(i)
			}
		}
		if a < 0 {
			return m, fmt.Errorf("unknown action %q (known: %s)", name, strings.Join(actionNames[:], ", "))
		}
		if seen[name] {
			return m, fmt.Errorf("%q given twice", name)
		}
		seen[name] = true
		v, err := strconv.ParseFloat(w, 64)
		if err != nil || !(v >= 0) || v > 1e6 {
			return m, fmt.Errorf("%s: weight %q is not a number in 0–1000000", name, w)
		}
		m[a] = v
		total += v
	}
	if total <= 0 {
		return m, fmt.Errorf("%q: every weight is 0", s)
	}
	return m, nil
}

// pick draws an action with probability proportional to its weight.
func (m mix) pick(rng *rand.Rand) action {
	total := 0.0
	for _, w := range m {
		total += w
	}
	x := rng.Float64() * total
	for a, w := range m {
		if x < w {
			return action(a)
		}
		x -= w
	}
	for a := numActions - 1; a >= 0; a-- { // rounding: the last action with a weight
		if m[a] > 0 {
			return a
		}
	}
	return actResume
}

func (m mix) String() string {
	parts := make([]string, 0, numActions)
	for a, w := range m {
		if w > 0 {
			parts = append(parts, fmt.Sprintf("%s=%g", action(a), w))
		}
	}
	return strings.Join(parts, ",")
}
