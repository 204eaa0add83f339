package e2e

import (
	"strings"
	"testing"
)

// A missing or denied camera or microphone does not block the call: the page says what it continues
// with, and the other person's media still arrives.
func TestMediaFallbacks(t *testing.T) {
	e := newEnv(t)

	// B joins with no camera and no microphone.
	{
		a, b := e.newPerson("A"), e.newPerson("B (no devices)")
		b.denyMedia("audio", "video")
		a.open(e.url + "/new")
		a.waitText("#call-state", "Waiting for the other person…")
		b.open(eval[string](a, `location.href`))
		b.waitVisible("#notice")
		if n := eval[string](b, `__e2e.text('#notice')`); !strings.Contains(n, "continuing receive only") {
			t.Errorf("B's notice = %q, want it to say the call continues receive only", n)
		}
		b.waitConnected() // A's audio and video arrive at B
		b.waitJS("A's audio audible on B", `__e2e.audioRate(0.5).then(r => r !== null && r > 1e-3)`)
		for _, sel := range []string{"#mute-btn", "#camera-btn"} {
			if !eval[bool](b, `document.querySelector('`+sel+`').disabled`) {
				t.Errorf("B's %s is enabled without a device", sel)
			}
		}
		a.waitText("#call-state", "Connected")
		a.waitJS("A explains the missing media", `__e2e.text('#stage-detail').includes('not sending audio or video')`)
	}

	// A waits with no devices; B joins with a microphone but no camera.
	{
		a, b := e.newPerson("A (no devices)"), e.newPerson("B (no camera)")
		a.denyMedia("audio", "video")
		b.denyMedia("video")
		a.open(e.url + "/new")
		a.waitText("#call-state", "Waiting for the other person…")
		b.open(eval[string](a, `location.href`))
		b.waitVisible("#notice")
		if n := eval[string](b, `__e2e.text('#notice')`); !strings.Contains(n, "continuing with audio only") {
			t.Errorf("B's notice = %q, want it to say the call continues with audio only", n)
		}
		a.waitText("#call-state", "Connected")
		b.waitText("#call-state", "Connected")
		a.waitJS("B's audio audible on A", `__e2e.audioRate(0.5).then(r => r !== null && r > 1e-3)`)
		a.waitJS("A says audio only", `__e2e.text('#stage-detail') === 'The other person has no camera: audio only.'`)
		if eval[bool](b, `document.querySelector('#mute-btn').disabled`) {
			t.Errorf("B's mute button is disabled although B has a microphone")
		}
	}
}
