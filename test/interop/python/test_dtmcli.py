"""dtm's Python SDK (dtmcli 1.7.7.0 from PyPI) against the real dtx process.

Run by test/interop/python-interop.test.ts (DTX_SERVER = http://127.0.0.1:PORT/api/dtmsvr) with
the venv of scripts/python-sdk.sh:  python -m unittest -v test_dtmcli
test_tcc_normal needs tcc in dtx: it fails until dtx runs tcc transactions.
"""
import os
import time
import unittest

import requests
from dtmcli import msg, saga, tcc, utils

from busi_server import FAILURE, BusiServer

DTM = os.environ.get("DTX_SERVER", "").rstrip("/")
REQ = {"amount": 30}


def query(gid):
    r = requests.get(DTM + "/query", params={"gid": gid}, timeout=10)
    r.raise_for_status()
    return r.json()


def wait_status(gid, want, timeout=20.0):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = query(gid)
        status = (last.get("transaction") or {}).get("status")
        if status == want:
            return last
        time.sleep(0.05)
    raise AssertionError("gid %s did not become %s; last query: %s" % (gid, want, last))


def rows(q):
    return [b["status"] for b in q["branches"]]


class SdkInterop(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not DTM:
            raise RuntimeError("DTX_SERVER is not set (test/interop/python-interop.test.ts sets it)")
        cls.busi = BusiServer()

    @classmethod
    def tearDownClass(cls):
        cls.busi.close()

    def routes(self, gid):
        return [(c["route"], c["query"]["branch_id"], c["query"]["op"]) for c in self.busi.calls_of(gid)]

    def test_saga_normal(self):
        b = self.busi
        gid = utils.gen_gid(DTM)
        s = saga.Saga(DTM, gid).add(REQ, b.url("SagaOut"), b.url("SagaOutRevert")).add(REQ, b.url("SagaIn"), b.url("SagaInRevert"))
        s.submit()
        q = wait_status(gid, "succeed")
        self.assertEqual(rows(q), ["prepared", "succeed", "prepared", "succeed"])
        self.assertEqual(self.routes(gid), [("SagaOut", "01", "action"), ("SagaIn", "02", "action")])
        first = self.busi.calls_of(gid)[0]
        self.assertEqual(first["method"], "POST")
        self.assertEqual(first["query"]["trans_type"], "saga")
        self.assertEqual(first["body"], '{"amount": 30}')

    def test_saga_rollback(self):
        b = self.busi
        b.on("RbIn", FAILURE)
        gid = utils.gen_gid(DTM)
        saga.Saga(DTM, gid).add(REQ, b.url("RbOut"), b.url("RbOutRevert")).add(REQ, b.url("RbIn"), b.url("RbInRevert")).submit()
        q = wait_status(gid, "failed")
        self.assertEqual(rows(q), ["succeed", "succeed", "succeed", "failed"])
        self.assertEqual(
            self.routes(gid),
            [("RbOut", "01", "action"), ("RbIn", "02", "action"), ("RbInRevert", "02", "compensate"), ("RbOutRevert", "01", "compensate")],
        )

    def test_msg_prepare_submit(self):
        b = self.busi
        gid = utils.gen_gid(DTM)
        m = msg.Msg(DTM, gid).add(REQ, b.url("MsgA")).add(REQ, b.url("MsgB"))
        m.prepare(b.url("MsgQuery"))
        self.assertEqual(query(gid)["transaction"]["status"], "prepared")
        m.submit()
        q = wait_status(gid, "succeed")
        self.assertEqual(rows(q), ["succeed", "succeed"])
        self.assertEqual(self.routes(gid), [("MsgA", "01", "action"), ("MsgB", "02", "action")])

    def test_msg_do_and_submit(self):
        b = self.busi
        gid = utils.gen_gid(DTM)
        seen = []
        msg.Msg(DTM, gid).add(REQ, b.url("DoA")).do_and_submit(b.url("DoQuery"), lambda bb: seen.append((bb.branch_id, bb.op)))
        self.assertEqual(seen, [("00", "msg")])
        wait_status(gid, "succeed")
        failed = utils.gen_gid(DTM)

        def business(_bb):
            raise utils.DTMFailureError("FAILURE")

        with self.assertRaises(utils.DTMFailureError):
            msg.Msg(DTM, failed).add(REQ, b.url("DoB")).do_and_submit(b.url("DoQuery"), business)
        self.assertEqual(wait_status(failed, "failed")["branches"][0]["status"], "prepared")
        self.assertEqual(self.busi.calls_of(failed), [])

    def test_msg_topic_fanout(self):
        b = self.busi
        topic = "py_fanout_%d" % time.time_ns()
        for route in ("TopicA", "TopicB"):
            r = requests.get(DTM + "/subscribe", params={"topic": topic, "url": b.url(route), "remark": "py"}, timeout=10)
            utils.check_result(r)
        gid = utils.gen_gid(DTM)
        msg.Msg(DTM, gid).add(REQ, "topic://" + topic).submit()
        q = wait_status(gid, "succeed")
        self.assertEqual([x["branch_id"] for x in q["branches"]], ["01-01", "01-02"])
        self.assertEqual(sorted(self.routes(gid)), [("TopicA", "01-01", "action"), ("TopicB", "01-02", "action")])
        with self.assertRaises(Exception):
            msg.Msg(DTM, utils.gen_gid(DTM)).add(REQ, "topic://py_nobody_%d" % time.time_ns()).submit()

    def test_tcc_normal(self):
        b = self.busi
        gid = utils.gen_gid(DTM)

        def body(t):
            t.call_branch(REQ, b.url("TccOutTry"), b.url("TccOutConfirm"), b.url("TccOutCancel"))
            t.call_branch(REQ, b.url("TccInTry"), b.url("TccInConfirm"), b.url("TccInCancel"))

        self.assertEqual(tcc.tcc_global_transaction(DTM, gid, body), gid)
        q = wait_status(gid, "succeed")
        self.assertEqual(rows(q), ["prepared", "succeed", "prepared", "succeed"])
        confirms = [r for r in self.routes(gid) if r[2] == "confirm"]
        self.assertEqual(sorted(confirms), [("TccInConfirm", "02", "confirm"), ("TccOutConfirm", "01", "confirm")])


if __name__ == "__main__":
    unittest.main()
