// /commissions: the customer's commissions live on the orders page.

export async function render({ navigate }) {
  navigate('/orders#commissions', { replace: true });
}
