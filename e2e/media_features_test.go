package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// mediaHelpers is evaluated in a page once its call is connected: small readers of the call's senders and
// of the stats that the checks below poll. Names start with __mf to stay clear of the page and the probe.
const mediaHelpers = `(() => {
	const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
	const stat = async (type, kind) => {
		for (const s of (await majuCall.pc.getStats()).values()) if (s.type === type && s.kind === kind) return s;
		return null;
	};
	window.__mf = {
		sleep,
		// The transceiver that carries this side's track of a kind, as senders.js finds it.
		tr: (kind) => majuCall.pc.getTransceivers().find((t) => t.receiver.track.kind === kind && t.direction !== 'stopped'),
		sent: (kind) => __mf.tr(kind).sender.track,
		// Outgoing video bit rate over ms milliseconds, from outbound-rtp bytesSent.
		async outRate(ms) {
			const a = await stat('outbound-rtp', 'video');
			await sleep(ms);
			const b = await stat('outbound-rtp', 'video');
			return ((b.bytesSent - a.bytesSent) * 8) / ((b.timestamp - a.timestamp) / 1000);
		},
		// Received video frames decoded during ms milliseconds.
		async framesIn(ms) {
			const count = async () => ((await stat('inbound-rtp', 'video')) || { framesDecoded: 0 }).framesDecoded || 0;
			const a = await count();
			await sleep(ms);
			return (await count()) - a;
		},
		out: () => stat('outbound-rtp', 'video'),
		async inSize() {
			const s = await stat('inbound-rtp', 'video');
			return s && s.frameWidth ? [s.frameWidth, s.frameHeight] : [0, 0];
		},
	};
	return true;
})()`

// withThreeCameras gives every page three fake cameras, fake_device_0 to _2, and two fake microphones
// besides the default. Chromium's fake capture factory reads device-count from the flag's value, and makes
// device 1 a depth camera (Y16 pixels), which WebRTC does not encode: the test sends only cameras 0 (I420)
// and 2 (MJPEG) and never flips onto camera 1.
func withThreeCameras() envOption {
	return withChromiumFlags(chromedp.Flag("use-fake-device-for-media-stream", "device-count=3"))
}

// evalGesture is eval with a user gesture, which getDisplayMedia asks for.
func evalGesture[T any](p *person, expr string) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, waitTimeout)
	defer cancel()
	gesture := func(params *runtime.EvaluateParams) {
		yes := true
		params.UserGesture = &yes
	}
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise, gesture))
	if err != nil {
		p.t.Fatalf("%s: evaluate %s: %v\n%s", p.name, expr, err, p.summary())
	}
	return v
}

// The mobile-first media features in a call between two people: camera flip and device switches on the
// same peer connection without renegotiation, screen sharing and back, data saver's lower bit rate, and
// audio-only. Finally a reload shows that the camera picked is remembered.
func TestMediaFeatures(t *testing.T) {
	e := newEnv(t, withThreeCameras())
	a, b := e.newPerson("A"), e.newPerson("B")
	link := startCall(e, a, b)
	for _, p := range []*person{a, b} {
		eval[bool](p, mediaHelpers)
	}
	a.waitJS("A lists three cameras and can flip", `majuCall.devices.cameras.length === 3 && majuCall.canFlip`)
	if !eval[bool](a, `majuCall.canShareScreen`) {
		t.Fatalf("canShareScreen is false on headless desktop Chromium")
	}
	// Everything below happens on A's first peer connection; a renegotiation would change its SDP.
	eval[bool](a, `(window.__pc0 = majuCall.pc, window.__sdp0 = majuCall.pc.localDescription.sdp, true)`)
	samePC := func(what string) {
		t.Helper()
		if !eval[bool](a, `majuCall.pc === __pc0`) {
			t.Fatalf("%s: A's peer connection was replaced", what)
		}
	}
	noRenegotiation := func(what string) {
		t.Helper()
		samePC(what)
		if !eval[bool](a, `majuCall.pc.localDescription.sdp === __sdp0`) {
			t.Errorf("%s: A renegotiated (its local description changed)", what)
		}
	}
	bSeesVideo := func(what string) {
		t.Helper()
		b.waitJS("B decodes A's video "+what, `__mf.framesIn(1000).then((n) => n >= 5)`)
	}

	picked := flipAndSwitch(t, a, noRenegotiation, bSeesVideo)
	shareScreen(t, a, b, noRenegotiation, bSeesVideo)
	dataSaver(t, a, b, samePC)
	audioOnly(t, a, b, samePC)

	// The camera picked with useDevice is remembered: after a reload A starts on it (flips are not).
	a.open(link)
	a.waitConnected()
	b.waitConnected()
	eval[bool](a, mediaHelpers)
	if got := eval[string](a, `__mf.sent('video').getSettings().deviceId`); got != picked {
		t.Errorf("after a reload A sends camera %.8s…, want the one picked before, %.8s…", got, picked)
	}
}

// flipAndSwitch switches A's camera by id and flips it, and switches its microphone; it returns the camera
// id picked last with useDevice.
func flipAndSwitch(t *testing.T, a *person, noRenegotiation, bSeesVideo func(string)) string {
	t.Helper()
	ids := eval[[]string](a, `majuCall.devices.cameras.map((c) => c.deviceId)`)
	cam0, cam2 := ids[0], ids[2]
	sentCamera := func() string {
		t.Helper()
		return eval[string](a, `__mf.sent('video').getSettings().deviceId`)
	}
	if got := sentCamera(); got != cam0 {
		t.Fatalf("A starts on camera %.8s…, want the first, %.8s…", got, cam0)
	}

	// Picking a camera by id switches to it at once.
	eval[bool](a, `(window.__old = __mf.sent('video'), true)`)
	if !eval[bool](a, fmt.Sprintf(`majuCall.useDevice('videoinput', %q)`, cam2)) {
		t.Fatal("useDevice('videoinput') resolved false")
	}
	if got := sentCamera(); got != cam2 {
		t.Fatalf("after useDevice A sends camera %.8s…, want %.8s…", got, cam2)
	}
	checkSwitched := func(what string) {
		t.Helper()
		if !eval[bool](a, `__old.readyState === 'ended' && majuCall.localStream.getVideoTracks()[0] === __mf.sent('video')`) {
			t.Errorf("%s: the old camera is not stopped, or the local stream does not show the camera sent", what)
		}
		a.waitJS("A's preview plays "+what, `document.querySelector('#local-video').videoWidth > 0`)
		bSeesVideo("after " + what)
		noRenegotiation(what)
	}
	checkSwitched("useDevice")

	// A flip goes to the next camera in the list, wrapping round (fake cameras face nowhere).
	eval[bool](a, `(window.__old = __mf.sent('video'), true)`)
	if !eval[bool](a, `majuCall.flipCamera()`) {
		t.Fatal("flipCamera() resolved false with three cameras")
	}
	if got := sentCamera(); got != cam0 {
		t.Fatalf("after a flip from the last camera A sends %.8s…, want the first, %.8s…", got, cam0)
	}
	if got := eval[string](a, `majuCall.mediaState.cameraId`); got != cam0 {
		t.Errorf("mediaState.cameraId = %.8s…, want %.8s…", got, cam0)
	}
	checkSwitched("the flip")

	// A camera turned off stays off when another is picked.
	eval[bool](a, `majuCall.setCameraEnabled(false).cameraOn === false`)
	if !eval[bool](a, fmt.Sprintf(`majuCall.useDevice('videoinput', %q)`, cam2)) {
		t.Fatal("useDevice('videoinput') with the camera off resolved false")
	}
	if got := eval[string](a, `JSON.stringify([__mf.sent('video').getSettings().deviceId === '`+cam2+`', __mf.sent('video').enabled, majuCall.mediaState.cameraOn])`); got != "[true,false,false]" {
		t.Errorf("after switching a camera that is off: [sends the chosen camera, track enabled, cameraOn] = %s, want [true,false,false]", got)
	}
	eval[bool](a, `majuCall.setCameraEnabled(true).cameraOn`)

	// A muted microphone stays muted when another microphone is picked.
	mic := eval[string](a, `majuCall.devices.microphones.map((m) => m.deviceId).find((id) => id !== majuCall.mediaState.microphoneId) || ''`)
	if mic == "" {
		t.Fatal("A lists no second microphone")
	}
	eval[bool](a, `majuCall.setMicEnabled(false).micOn === false`)
	if !eval[bool](a, fmt.Sprintf(`majuCall.useDevice('audioinput', %q)`, mic)) {
		t.Fatal("useDevice('audioinput') resolved false")
	}
	if got := eval[string](a, `JSON.stringify([__mf.sent('audio').getSettings().deviceId, __mf.sent('audio').enabled, majuCall.mediaState.micOn])`); got != fmt.Sprintf(`[%q,false,false]`, mic) {
		t.Errorf("after switching a muted microphone: [mic sent, track enabled, micOn] = %s, want [%q,false,false]", got, mic)
	}
	eval[bool](a, `majuCall.setMicEnabled(true).micOn`)

	stored := eval[string](a, `localStorage.getItem('maju.media') || ''`)
	if !strings.Contains(stored, cam2) || !strings.Contains(stored, mic) {
		t.Errorf("remembered choices %s, want camera %.8s… and microphone %.8s…", stored, cam2, mic)
	}
	bSeesVideo("after the device switches")
	noRenegotiation("device switches")
	return cam2
}

// shareScreen shares A's screen and stops, once with stopScreenShare and once as the browser's own
// "Stop sharing" does (the track ends).
func shareScreen(t *testing.T, a, b *person, noRenegotiation, bSeesVideo func(string)) {
	t.Helper()
	camera := eval[string](a, `(window.__cam1 = __mf.sent('video')).getSettings().deviceId`)
	if !evalGesture[bool](a, `majuCall.startScreenShare()`) {
		t.Fatal("startScreenShare() resolved false (getDisplayMedia refused?)")
	}
	if got := eval[string](a, `JSON.stringify([majuCall.sharingScreen, __mf.sent('video').getSettings().displaySurface || '', __mf.sent('video').contentHint, __cam1.readyState])`); got != `[true,"monitor","detail","ended"]` {
		t.Errorf("sharing: [sharingScreen, displaySurface, contentHint, camera] = %s, want [true,\"monitor\",\"detail\",\"ended\"]", got)
	}
	// The fake cameras are 1280x720 and WebRTC scales them by 3/4 and 2/3 steps; the fake screen is 800
	// wide, sent whole (contentHint 'detail' keeps the resolution), so B's frames take its exact size.
	screenReachesB(t, a, b)
	bSeesVideo("while A shares the screen")
	noRenegotiation("screen sharing")

	if !eval[bool](a, `majuCall.stopScreenShare()`) {
		t.Fatal("stopScreenShare() resolved false while sharing")
	}
	if got := eval[string](a, `JSON.stringify([majuCall.sharingScreen, __mf.sent('video').getSettings().deviceId, majuCall.mediaState.cameraOn])`); got != fmt.Sprintf(`[false,%q,true]`, camera) {
		t.Errorf("after sharing: [sharingScreen, camera id, cameraOn] = %s, want [false,%q,true]", got, camera)
	}
	bSeesVideo("after the screen share")

	// The browser's "Stop sharing" ends the track; headless Chromium has no such button, so the test
	// stops the track and fires the 'ended' event the browser would.
	if !evalGesture[bool](a, `majuCall.startScreenShare()`) {
		t.Fatal("second startScreenShare() resolved false")
	}
	eval[bool](a, `(() => { const s = __mf.sent('video'); s.stop(); s.dispatchEvent(new Event('ended')); return true; })()`)
	a.waitJS("A back on the camera after the share ended", fmt.Sprintf(`!majuCall.sharingScreen && __mf.sent('video') !== null && __mf.sent('video').getSettings().deviceId === %q`, camera))
	bSeesVideo("after the share ended")
	noRenegotiation("screen sharing and back")
}

// screenReachesB waits until B decodes frames of the size of A's screen track. The fake screen settles
// its size with its first frames, so both sides are read again until they agree.
func screenReachesB(t *testing.T, a, b *person) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	var screen, got []int
	for time.Now().Before(deadline) {
		screen = eval[[]int](a, `(() => { const s = __mf.sent('video').getSettings(); return [s.width, s.height]; })()`)
		got = eval[[]int](b, `__mf.inSize()`)
		if screen[0] == got[0] && screen[1] == got[1] {
			t.Logf("B receives A's screen at %dx%d", got[0], got[1])
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("B receives %v frames, A's screen is %v", got, screen)
}

// dataSaver checks that data saver lowers A's outgoing video: the encoder's target bit rate (outbound-rtp
// targetBitrate) falls from the ramped-up rate to the cap, and the bit rate actually sent (bytesSent over a
// window) stays under it. The bytes alone cannot show the drop: the fake camera's picture is so simple that
// the encoder sends only about 300 kbit/s of its 1.7 Mbit/s target without data saver.
func dataSaver(t *testing.T, a, b *person, samePC func(string)) {
	t.Helper()
	const target = `__mf.out().then((s) => s.targetBitrate)`
	a.waitJS("A's video target bit rate above 500 kbit/s", target+`.then((r) => r > 500000)`)
	before, beforeSent := eval[float64](a, target), eval[float64](a, `__mf.outRate(3000)`)
	if !eval[bool](a, `majuCall.setDataSaver(true).dataSaver`) {
		t.Fatal("setDataSaver(true) did not turn it on")
	}
	a.waitJS("data saver's limits on A's video sender", `(() => {
		const e = __mf.tr('video').sender.getParameters().encodings[0];
		return e.maxBitrate === 250000 && e.maxFramerate === 15 && e.scaleResolutionDownBy === 2;
	})()`)
	a.waitJS("A's video target bit rate at most 250 kbit/s", target+`.then((r) => r <= 250000)`)
	after := eval[float64](a, target)
	// Averaged over 4 s once the encoder follows the cap; headers and RTCP come on top of 250 kbit/s of
	// media, hence 350.
	afterSent := eval[float64](a, `__mf.outRate(4000)`)
	t.Logf("A's video: target %.0f → %.0f kbit/s, sent %.0f → %.0f kbit/s", before/1000, after/1000, beforeSent/1000, afterSent/1000)
	if after > before/2 {
		t.Errorf("data saver's target bit rate %.0f kbit/s is not below half of %.0f", after/1000, before/1000)
	}
	if afterSent > 350000 {
		t.Errorf("with data saver A sends %.0f kbit/s of video, want at most 350", afterSent/1000)
	}
	b.waitJS("B receives at most 360 lines", `__mf.inSize().then(([w, h]) => h > 0 && h <= 360)`)
	samePC("data saver")

	eval[bool](a, `majuCall.setDataSaver(false).dataSaver === false`)
	a.waitJS("data saver's limits lifted", `(() => {
		const e = __mf.tr('video').sender.getParameters().encodings[0];
		return e.maxBitrate === undefined && e.maxFramerate === undefined && (e.scaleResolutionDownBy || 1) === 1;
	})()`)
	a.waitJS("A's video target bit rate above 500 kbit/s again", target+`.then((r) => r > 500000)`)
}

// audioOnly turns A's video off and on again; B hears A all along.
func audioOnly(t *testing.T, a, b *person, samePC func(string)) {
	t.Helper()
	eval[bool](a, `(window.__cam2 = __mf.sent('video'), true)`)
	if !eval[bool](a, `majuCall.setAudioOnly(true)`) {
		t.Fatal("setAudioOnly(true) resolved false")
	}
	if got := eval[string](a, `JSON.stringify([__mf.sent('video'), __cam2.readyState, majuCall.audioOnly, majuCall.mediaState.cameraOn, majuCall.localStream.getVideoTracks().length])`); got != `[null,"ended",true,false,0]` {
		t.Errorf("audio-only: [video sender track, camera, audioOnly, cameraOn, local video tracks] = %s, want [null,\"ended\",true,false,0]", got)
	}
	b.waitJS("A's video leaves B's stream", `majuCall.remoteStream.getVideoTracks().length === 0`)
	b.waitJS("B decodes no more video from A", `__mf.framesIn(1500).then((n) => n === 0)`)
	b.waitJS("A's audio still audible on B", `__e2e.audioRate(0.5).then((r) => r !== null && r > 1e-3)`)
	samePC("audio-only")

	if !eval[bool](a, `majuCall.setAudioOnly(false)`) {
		t.Fatal("setAudioOnly(false) resolved false")
	}
	if !eval[bool](a, `__mf.sent('video') !== null && __mf.sent('video').readyState === 'live' && majuCall.mediaState.cameraOn`) {
		t.Error("after audio-only A does not send a live camera")
	}
	b.waitJS("A's video back in B's stream", `majuCall.remoteStream.getVideoTracks().length === 1`)
	b.waitJS("B decodes A's video again", `__mf.framesIn(1000).then((n) => n >= 5)`)
	b.waitRemoteVideoPlaying()
	samePC("audio-only and back")
}
