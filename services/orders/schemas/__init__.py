"""The orders API's request and response bodies (pydantic), and the functions that build the
response views from domain objects. Views are the domain's own JSON minus what is internal (the
payment token); docs/api.md points at the OpenAPI document generated from these.

The bodies live by family, one module each; every public name is here too, so `schemas.X`
reads the same wherever X lives."""

from services.orders.schemas.addresses import AddressIn as AddressIn
from services.orders.schemas.addresses import AddressView as AddressView
from services.orders.schemas.addresses import SavedAddressView as SavedAddressView
from services.orders.schemas.addresses import saved_address_view as saved_address_view
from services.orders.schemas.commissions import CommissionAcceptIn as CommissionAcceptIn
from services.orders.schemas.commissions import CommissionDeclineIn as CommissionDeclineIn
from services.orders.schemas.commissions import CommissionIn as CommissionIn
from services.orders.schemas.commissions import CommissionListQuery as CommissionListQuery
from services.orders.schemas.commissions import CommissionView as CommissionView
from services.orders.schemas.commissions import QuoteIn as QuoteIn
from services.orders.schemas.commissions import QuoteView as QuoteView
from services.orders.schemas.commissions import commission_view as commission_view
from services.orders.schemas.common import LeadTimeView as LeadTimeView
from services.orders.schemas.common import LineIn as LineIn
from services.orders.schemas.common import LineView as LineView
from services.orders.schemas.common import Millimetres as Millimetres
from services.orders.schemas.common import Number as Number
from services.orders.schemas.common import OptionsIn as OptionsIn
from services.orders.schemas.common import OptionsView as OptionsView
from services.orders.schemas.common import PaymentIn as PaymentIn
from services.orders.schemas.common import TimelineView as TimelineView
from services.orders.schemas.conversations import ConversationIn as ConversationIn
from services.orders.schemas.conversations import ConversationListQuery as ConversationListQuery
from services.orders.schemas.conversations import ConversationQuery as ConversationQuery
from services.orders.schemas.conversations import ConversationSummary as ConversationSummary
from services.orders.schemas.conversations import ConversationView as ConversationView
from services.orders.schemas.conversations import MessageIn as MessageIn
from services.orders.schemas.conversations import MessageView as MessageView
from services.orders.schemas.conversations import conversation_summary as conversation_summary
from services.orders.schemas.conversations import conversation_view as conversation_view
from services.orders.schemas.maker_orders import ChecksIn as ChecksIn
from services.orders.schemas.maker_orders import ChecksView as ChecksView
from services.orders.schemas.maker_orders import DeclineIn as DeclineIn
from services.orders.schemas.maker_orders import DeliveryView as DeliveryView
from services.orders.schemas.maker_orders import DispatchIn as DispatchIn
from services.orders.schemas.maker_orders import MakerOrderDetail as MakerOrderDetail
from services.orders.schemas.maker_orders import MakerOrderListQuery as MakerOrderListQuery
from services.orders.schemas.maker_orders import MakerOrderView as MakerOrderView
from services.orders.schemas.maker_orders import QualityCheckIn as QualityCheckIn
from services.orders.schemas.maker_orders import QualityCheckView as QualityCheckView
from services.orders.schemas.maker_orders import RefundIn as RefundIn
from services.orders.schemas.maker_orders import ReturnWindowView as ReturnWindowView
from services.orders.schemas.maker_orders import RingMeasurementIn as RingMeasurementIn
from services.orders.schemas.maker_orders import RingMeasurementView as RingMeasurementView
from services.orders.schemas.maker_orders import ShippingView as ShippingView
from services.orders.schemas.maker_orders import TrackingView as TrackingView
from services.orders.schemas.maker_orders import maker_order_detail as maker_order_detail
from services.orders.schemas.orders import MAX_WAIT_S as MAX_WAIT_S
from services.orders.schemas.orders import BasketIn as BasketIn
from services.orders.schemas.orders import OrderIn as OrderIn
from services.orders.schemas.orders import OrderListQuery as OrderListQuery
from services.orders.schemas.orders import OrderQuery as OrderQuery
from services.orders.schemas.orders import OrderQuoteView as OrderQuoteView
from services.orders.schemas.orders import OrderView as OrderView
from services.orders.schemas.orders import ParcelQuoteView as ParcelQuoteView
from services.orders.schemas.orders import PaymentView as PaymentView
from services.orders.schemas.orders import RefundView as RefundView
from services.orders.schemas.orders import order_quote_view as order_quote_view
from services.orders.schemas.orders import order_view as order_view
from services.orders.schemas.payouts import LedgerLineView as LedgerLineView
from services.orders.schemas.payouts import PayoutLineView as PayoutLineView
from services.orders.schemas.payouts import PayoutQuery as PayoutQuery
from services.orders.schemas.payouts import PayoutRunView as PayoutRunView
from services.orders.schemas.payouts import PayoutsView as PayoutsView
from services.orders.schemas.payouts import RunPayoutView as RunPayoutView
from services.orders.schemas.payouts import StatementQuery as StatementQuery
from services.orders.schemas.payouts import ledger_line_view as ledger_line_view
from services.orders.schemas.payouts import payout_run_view as payout_run_view
from services.orders.schemas.returns import RejectReturnIn as RejectReturnIn
from services.orders.schemas.returns import ReturnIn as ReturnIn
from services.orders.schemas.returns import ReturnLineIn as ReturnLineIn
from services.orders.schemas.returns import ReturnLineView as ReturnLineView
from services.orders.schemas.returns import ReturnListQuery as ReturnListQuery
from services.orders.schemas.returns import ReturnRefundView as ReturnRefundView
from services.orders.schemas.returns import ReturnView as ReturnView
from services.orders.schemas.returns import return_view as return_view

__all__ = [
    "MAX_WAIT_S",
    "AddressIn",
    "AddressView",
    "BasketIn",
    "ChecksIn",
    "ChecksView",
    "CommissionAcceptIn",
    "CommissionDeclineIn",
    "CommissionIn",
    "CommissionListQuery",
    "CommissionView",
    "ConversationIn",
    "ConversationListQuery",
    "ConversationQuery",
    "ConversationSummary",
    "ConversationView",
    "DeclineIn",
    "DeliveryView",
    "DispatchIn",
    "LeadTimeView",
    "LedgerLineView",
    "LineIn",
    "LineView",
    "MakerOrderDetail",
    "MakerOrderListQuery",
    "MakerOrderView",
    "MessageIn",
    "MessageView",
    "Millimetres",
    "Number",
    "OptionsIn",
    "OptionsView",
    "OrderIn",
    "OrderListQuery",
    "OrderQuery",
    "OrderQuoteView",
    "OrderView",
    "ParcelQuoteView",
    "PaymentIn",
    "PaymentView",
    "PayoutLineView",
    "PayoutQuery",
    "PayoutRunView",
    "PayoutsView",
    "QualityCheckIn",
    "QualityCheckView",
    "QuoteIn",
    "QuoteView",
    "RefundIn",
    "RefundView",
    "RejectReturnIn",
    "ReturnIn",
    "ReturnLineIn",
    "ReturnLineView",
    "ReturnListQuery",
    "ReturnRefundView",
    "ReturnView",
    "ReturnWindowView",
    "RingMeasurementIn",
    "RingMeasurementView",
    "RunPayoutView",
    "SavedAddressView",
    "ShippingView",
    "StatementQuery",
    "TimelineView",
    "TrackingView",
    "commission_view",
    "conversation_summary",
    "conversation_view",
    "ledger_line_view",
    "maker_order_detail",
    "order_quote_view",
    "order_view",
    "payout_run_view",
    "return_view",
    "saved_address_view",
]
